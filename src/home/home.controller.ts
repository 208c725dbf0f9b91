import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, SkipAudit } from '../../libs/personal-access-tokens/src';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.provider';

/** `/`: where a person who opened the service's address in a browser can go. */
@ApiExcludeController()
@Public()
@SkipAudit()
@Controller()
export class HomeController {
  private readonly html: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const page = config.page ? `<li><a href="${config.page.path}">Manage your personal access tokens</a></li>` : '';
    this.html =
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>Personal access tokens</title></head><body><main><h1>Personal access tokens</h1><ul>' +
      `${page}<li><a href="/docs">API documentation (Swagger UI)</a></li></ul></main></body></html>`;
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
  @Header('X-Content-Type-Options', 'nosniff')
  home(): string {
    return this.html;
  }
}
