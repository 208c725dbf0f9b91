import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '../../libs/personal-access-tokens/src';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.provider';
import { LoginService } from './login.service';

/** Password login, shared by `POST /auth/login` and the self-service page (one set of limits). */
@Module({})
export class LoginModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoginModule,
      imports: [AuthModule],
      providers: [{ provide: APP_CONFIG, useValue: config }, LoginService],
      exports: [LoginService],
    };
  }
}
