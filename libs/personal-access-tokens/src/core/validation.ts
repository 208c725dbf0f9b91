import { ArgumentMetadata, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';
import { ErrorDetail, ValidationFailedError } from './domain-error';

/** No DTO nests deeper than a few levels; class-transformer recurses, so deeper input could overflow the stack. */
export const MAX_INPUT_DEPTH = 32;

/** The DTO instances these pipes made: a second pipe of this kind hands them on as they are. */
const VALIDATED = new WeakSet<object>();

/**
 * A ValidationPipe that first refuses input nested deeper than MAX_INPUT_DEPTH (a 500 otherwise).
 * An empty query string (most GETs, a gateway's every `/auth/verify`) is judged once per DTO:
 * whether `{}` passes does not change from one request to the next, only the instance is new.
 */
class BoundedValidationPipe extends ValidationPipe {
  private readonly emptyQueryValid = new WeakMap<object, boolean>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A custom parameter (`@Auth()`'s principal) is no input, and is not validated: nothing to walk.
    if (metadata.type === 'custom') return super.transform(value, metadata);
    // Already made by one of these pipes (the app's global one, then a library controller's own):
    // the same rules again would only cost a second class-validator pass per request.
    if (typeof value === 'object' && value !== null && VALIDATED.has(value)) return value;
    const result = await this.check(value, metadata);
    if (typeof result === 'object' && result !== null && metadata.metatype && result instanceof metadata.metatype) VALIDATED.add(result);
    return result;
  }

  private async check(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const tooDeep = fieldNestedDeeperThan(value, MAX_INPUT_DEPTH);
    if (tooDeep !== undefined) {
      const field = [metadata.data, tooDeep].filter(Boolean).join('.') || metadata.type;
      throw new ValidationFailedError([{ field, reason: `must not be nested more than ${MAX_INPUT_DEPTH} levels deep` }]);
    }
    const metatype = metadata.metatype;
    // A JSON body of `null`, a number or a list is no object of fields: a DTO of optional fields
    // would otherwise accept it as "nothing to change".
    if (metadata.type === 'body' && value !== undefined && this.toValidate(metadata) && !isPlainObject(value)) {
      throw new ValidationFailedError([{ field: 'body', reason: 'must be a JSON object' }]);
    }
    if (metadata.type === 'query' && !metadata.data && metatype && isEmptyObject(value) && this.emptyQueryValid.get(metatype)) {
      return plainToInstance(metatype, {});
    }
    const result = await super.transform(value, metadata);
    if (metadata.type === 'query' && !metadata.data && metatype && isEmptyObject(value) && this.toValidate(metadata)) {
      this.emptyQueryValid.set(metatype, true);
    }
    return result;
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const _key in value) return false;
  return true;
}

/**
 * The top-level field (`''` for the value itself) under which `value` nests deeper than `limit`,
 * so that the error names it; undefined if none does. Iterative, so that the check itself cannot
 * overflow the stack.
 */
function fieldNestedDeeperThan(value: unknown, limit: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (limit <= 0) return '';
  const pending: [unknown, number, string][] = Object.entries(value).map(([key, child]) => [child, 1, key]);
  while (pending.length) {
    const [current, depth, field] = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return field;
    for (const child of Object.values(current)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1, field]);
  }
  return undefined;
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
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}

const programmaticInput = createValidationPipe();

/**
 * Checks a library call's input (`TokensService.mint(...)`) by the rules its HTTP route applies,
 * and converts it the same way: the same `validation_failed` error, naming the field.
 *
 * @example
 * const dto = await validateInput(CreateTokenDto, input);
 */
export async function validateInput<T>(metatype: Type<T>, value: unknown): Promise<T> {
  return (await programmaticInput.transform(value, { type: 'body', metatype })) as T;
}

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const reason = error.constraints && firstReason(error);
    return [...(reason ? [{ field, reason }] : []), ...flatten(error.children ?? [], field)];
  });
}

/**
 * The one reason a field is wrong, in the order a person reads it: an unknown field, then a missing
 * or `null` value, then the wrong type, then the format, then the bounds. class-validator reports
 * every failed rule in declaration order, which would name a bound for a value of the wrong type.
 */
function firstReason(error: ValidationError): string | undefined {
  const constraints = Object.entries(error.constraints ?? {});
  if (constraints.length === 0) return undefined;
  const unknown = constraints.find(([rule]) => rule === 'whitelistValidation');
  if (unknown) return 'is not allowed';
  if (error.value === undefined) return 'is required';
  if (error.value === null) return 'must not be null';
  const [, message] = constraints.reduce((best, next) => (rankOf(next[0]) < rankOf(best[0]) ? next : best));
  return reasonOf(message, error.property);
}

const TYPE_RULES = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isDate', 'isObject']);
const BOUND_RULES = new Set(['isLength', 'minLength', 'maxLength', 'min', 'max', 'arrayMinSize', 'arrayMaxSize', 'arrayUnique']);

function rankOf(rule: string): number {
  if (rule === 'isArray') return 0; // the container's type before its elements' ("each value in…")
  if (TYPE_RULES.has(rule)) return 1;
  if (BOUND_RULES.has(rule)) return 3;
  return 2; // format: patterns, choices, emails, uuids, dates, custom rules
}

/** class-validator messages start with the property name (or "each value in"); the detail already names the field. */
function reasonOf(message: string, property: string): string {
  return message.startsWith(property + ' ') ? message.slice(property.length + 1) : message;
}

/**
 * The field may be left out. `null` is not "left out": it is validated like any other value and
 * refused (class-validator's `@IsOptional` would let it through to the service). Use this instead.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/** The field may be left out or be `null`, with the meaning its documentation gives `null`. */
export function Nullable(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null);
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Turns an ISO 8601 date-time with a zone (`Z` or `+hh:mm`) into a Date; `null` stays `null`.
 * Only real calendar dates: JavaScript would read 2027-02-30 as 2 March. Anything else is left as
 * is for `@IsDate` to refuse.
 */
export function ToDate(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? (parseIsoDateTime(value) ?? value) : value));
}

/** An ISO 8601 date-time with a zone, if it names a real instant (no 30 February, no 25:00). */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [1, 2, 3, 4, 5, 6, 8, 9].map((i) => Number(match[i] ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const real =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  return real ? new Date(text) : undefined;
}

/** Trims strings; other values pass through for the validators to judge. */
export function Trim(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
}

/** Lower-cases a UUID (they compare case-insensitively; ids are stored in lower case). */
export function ToId(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value));
}
