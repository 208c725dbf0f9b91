import { Injectable } from '@nestjs/common';
import { FailedRequestRecorder } from './api-exception.filter';

/**
 * The exception filter's `FailedRequestRecorder`: it forwards each failed request to the recorder
 * attached to it (the audit trail, when `AuditModule` is imported) and does nothing otherwise, so
 * that core knows no feature and an app without the audit trail answers errors all the same.
 *
 * @example
 * onModuleInit() { this.relay.attach(this); }
 */
@Injectable()
export class FailedRequestRelay extends FailedRequestRecorder {
  private recorder?: FailedRequestRecorder;

  attach(recorder: FailedRequestRecorder): void {
    this.recorder = recorder;
  }

  recordFailure(request: object, exception: unknown, status: number, code: string): Promise<void> {
    return this.recorder ? this.recorder.recordFailure(request, exception, status, code) : Promise.resolve();
  }
}
