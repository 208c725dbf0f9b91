import { Controller, Get } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { DomainError, Endpoint, ErrorResponseDto, Public, SkipAudit } from '../../libs/personal-access-tokens/src';
import { HealthDto } from './health.dto';

@ApiTags('health')
@Public()
@SkipAudit()
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Liveness
   * @remarks The process answers.
   */
  @Get()
  @Endpoint({ operationId: 'getLiveness' })
  live(): HealthDto {
    return { status: 'ok' };
  }

  /**
   * Readiness
   * @remarks The process and the database answer.
   */
  @Get('ready')
  @Endpoint({ operationId: 'getReadiness' })
  @ApiServiceUnavailableResponse({ description: 'The database is unreachable', type: ErrorResponseDto })
  async ready(): Promise<HealthDto> {
    try {
      await this.dataSource.query('SELECT 1');
      return { status: 'ok', database: 'up' };
    } catch {
      throw new DomainError(503, 'not_ready', 'The database is unreachable', undefined, { 'Retry-After': '5' });
    }
  }
}
