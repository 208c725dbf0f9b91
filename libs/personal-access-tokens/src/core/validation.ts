import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ErrorDetail, ValidationFailedError } from './domain-error';

/** No DTO nests deeper than a few levels; class-transformer recurses, so deeper input could overflow the stack. */
export const MAX_INPUT_DEPTH = 32;

/** A ValidationPipe that first refuses input nested deeper than MAX_INPUT_DEPTH (a 500 otherwise). */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (isNestedDeeperThan(value, MAX_INPUT_DEPTH)) {
      throw new ValidationFailedError([
        { field: metadata.data ?? metadata.type, reason: `must not be nested more than ${MAX_INPUT_DEPTH} levels deep` },
      ]);
    }
    return super.transform(value, metadata);
  }
}

/** Iterative, so that the check itself cannot overflow the stack. */
function isNestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * The global pipe: unknown fields are refused (no mass assignment), values are converted to the
 * DTO's types, and failures become one `validation_failed` error with field-level details.
 */
export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, reason: reasonOf(message, error.property) }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** class-validator messages start with the property name; the detail already names the field. */
function reasonOf(message: string, property: string): string {
  return message.startsWith(property + ' ') ? message.slice(property.length + 1) : message;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Turns an ISO 8601 date-time with a zone (`Z` or `+hh:mm`) into a Date; `null` stays `null`.
 * Anything else is left as is for `@IsDate` to refuse.
 */
export function ToDate(): PropertyDecorator {
  return Transform(({ value }) => {
    if (value === null || value === undefined) return value;
    if (typeof value === 'string' && ISO_DATE_TIME.test(value)) {
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? value : date;
    }
    return value;
  });
}

/** Trims strings; other values pass through for the validators to judge. */
export function Trim(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
}
