import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { Clock } from '../core/clock';
import { isUniqueViolation } from '../core/database-errors';
import { ForbiddenError, ValidationFailedError } from '../core/domain-error';
import { UnitOfWork } from '../core/unit-of-work';
import { UserDirectory } from '../core/user-directory';
import { GrantRules } from '../scopes/grant-rules';
import { Privilege } from '../scopes/privileges';
import {
  CreateTokenExchangePolicyDto,
  TokenExchangePolicyListDto,
  TokenExchangePolicyResponseDto,
  UpdateTokenExchangePolicyDto,
} from './dto/token-exchange-policy.dto';
import { isFetchableUrl } from './issuer-keys.service';
import { TokenExchangePolicyNameTakenError, TokenExchangePolicyNotFoundError } from './token-exchange.errors';
import { DEFAULT_EXCHANGED_TOKEN_SECONDS, ResolvedTokenExchangeOptions, TOKEN_EXCHANGE_OPTIONS } from './token-exchange.options';
import { ClaimConditions, TokenExchangePolicy } from './token-exchange-policy.entity';

const MAX_CONDITIONS = 20;
const CLAIM_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Trust policies of token exchange, managed by administrators. */
@Injectable()
export class TokenExchangePoliciesService {
  constructor(
    @InjectRepository(TokenExchangePolicy) private readonly policies: Repository<TokenExchangePolicy>,
    @Inject(TOKEN_EXCHANGE_OPTIONS) private readonly options: ResolvedTokenExchangeOptions,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly grantRules: GrantRules,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateTokenExchangePolicyDto): Promise<TokenExchangePolicyResponseDto> {
    if (!isFetchableUrl(input.issuer, this.options.allowLoopbackHttpIssuers)) {
      throw new ValidationFailedError([{ field: 'issuer', reason: 'must be an https URL without credentials or fragment' }]);
    }
    const conditions = checkConditions(input.conditions);
    await this.assertUserMayHold(input.userId, input.scopes);
    const now = this.clock.now();
    const policy: TokenExchangePolicy = {
      id: randomUUID(),
      name: input.name,
      issuer: input.issuer,
      audience: input.audience,
      conditions,
      userId: input.userId,
      scopes: input.scopes,
      tokenLifetimeSeconds: input.tokenLifetimeSeconds ?? DEFAULT_EXCHANGED_TOKEN_SECONDS,
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.unitOfWork.run((manager) => manager.insert(TokenExchangePolicy, { ...policy }));
    } catch (error) {
      throw isUniqueViolation(error) ? new TokenExchangePolicyNameTakenError() : error;
    }
    return toResponse(policy);
  }

  async list(): Promise<TokenExchangePolicyListDto> {
    const policies = await this.policies.find({ order: { name: 'ASC' } });
    return { items: policies.map(toResponse) };
  }

  async get(id: string): Promise<TokenExchangePolicyResponseDto> {
    return toResponse(await this.find(id));
  }

  async update(id: string, changes: UpdateTokenExchangePolicyDto): Promise<TokenExchangePolicyResponseDto> {
    const current = await this.find(id);
    const patch: Partial<TokenExchangePolicy> = { updatedAt: this.clock.now() };
    if (changes.conditions !== undefined) patch.conditions = checkConditions(changes.conditions);
    if (changes.scopes !== undefined) {
      await this.assertUserMayHold(current.userId, changes.scopes);
      patch.scopes = changes.scopes;
    }
    if (changes.tokenLifetimeSeconds !== undefined) patch.tokenLifetimeSeconds = changes.tokenLifetimeSeconds;
    if (changes.enabled !== undefined) patch.enabled = changes.enabled;
    if (changes.audience !== undefined) patch.audience = changes.audience;
    const result = await this.unitOfWork.run((manager) => manager.update(TokenExchangePolicy, { id }, patch));
    if (!result.affected) throw new TokenExchangePolicyNotFoundError();
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const result = await this.unitOfWork.run((manager) => manager.delete(TokenExchangePolicy, { id }));
    if (!result.affected) throw new TokenExchangePolicyNotFoundError();
  }

  private async find(id: string): Promise<TokenExchangePolicy> {
    const policy = await this.policies.findOne({ where: { id } });
    if (!policy) throw new TokenExchangePolicyNotFoundError();
    return policy;
  }

  /** A policy that could never mint (or would mint beyond the user's role) is refused when it is written. */
  private async assertUserMayHold(userId: string, scopes: string[]): Promise<void> {
    const user = await this.directory.findById(userId);
    if (!user) throw new ValidationFailedError([{ field: 'userId', reason: 'must be the id of an existing user' }]);
    if (!user.privileges.includes(Privilege.GenerateTokens)) {
      throw new ForbiddenError('policy_user_cannot_generate', `The role of this user (${user.role}) may not generate tokens`);
    }
    try {
      this.grantRules.assertGrantable({ user }, scopes);
    } catch (error) {
      // The rule speaks to the caller ("Your role..."); here the role is the policy user's.
      if (error instanceof ForbiddenError && error.code === 'scope_not_grantable') {
        throw new ForbiddenError('scope_not_grantable', error.message.replace(/^Your role/, 'The role of this user'));
      }
      throw error;
    }
  }
}

/** At least one condition (an issuer alone would trust every repository it serves), each a claim name and strings. */
function checkConditions(conditions: ClaimConditions): ClaimConditions {
  const entries = Object.entries(conditions);
  const field = 'conditions';
  if (!entries.length) {
    throw new ValidationFailedError([{ field, reason: 'must hold at least one claim condition, such as repository or project_path' }]);
  }
  if (entries.length > MAX_CONDITIONS)
    throw new ValidationFailedError([{ field, reason: `must hold at most ${MAX_CONDITIONS} conditions` }]);
  for (const [claim, expected] of entries) {
    if (!CLAIM_NAME.test(claim))
      throw new ValidationFailedError([{ field: `${field}.${claim.slice(0, 100)}`, reason: 'must be a claim name' }]);
    const values = Array.isArray(expected) ? expected : [expected];
    if (
      !values.length ||
      values.length > 50 ||
      values.some((value) => typeof value !== 'string' || value.length < 1 || value.length > 255)
    ) {
      throw new ValidationFailedError([
        { field: `${field}.${claim}`, reason: 'must be a string or a list of 1 to 50 strings of 1 to 255 characters' },
      ]);
    }
  }
  return Object.fromEntries(entries);
}

function toResponse(policy: TokenExchangePolicy): TokenExchangePolicyResponseDto {
  return {
    id: policy.id,
    name: policy.name,
    issuer: policy.issuer,
    audience: policy.audience,
    conditions: policy.conditions,
    userId: policy.userId,
    scopes: policy.scopes,
    tokenLifetimeSeconds: policy.tokenLifetimeSeconds,
    enabled: policy.enabled,
    createdAt: policy.createdAt,
    updatedAt: policy.updatedAt,
  };
}
