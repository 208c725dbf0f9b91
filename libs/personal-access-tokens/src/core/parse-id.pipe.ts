import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './domain-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A UUID path parameter, in the lower case the ids are stored in: UUIDs compare
 * case-insensitively (RFC 9562), so `…/A1B2…` names the same token as `…/a1b2…`.
 * The refusal names the parameter, never the value (it came from the URL).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new ValidationFailedError([{ field: metadata.data ?? 'id', reason: 'must be a UUID' }]);
    }
    return value.toLowerCase();
  }
}
