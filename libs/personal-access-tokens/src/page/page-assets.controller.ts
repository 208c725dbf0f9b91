import { Get, Inject, NotFoundException, Param, Req, Res, StreamableFile, Type } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipAudit } from '../core/audit.decorators';
import { Public } from '../scopes/auth.decorators';
import { PAGE_ASSETS } from './page-assets.provider';
import { PageAssets, PageFile, SECURITY_HEADERS } from './page-assets';
import { PageSessionCookie } from './page-session-cookie';

type HttpRequest = Parameters<PageSessionCookie['secretOf']>[0];

/**
 * Serves the built page under `path`: the same `index.html` for each of the page's own routes
 * (the page routes in the browser), and the files under `assets/`. Public (the page asks for a
 * sign-in itself) and left out of the audit trail, like the API docs.
 */
export function createPageAssetsController(path: string): Type<unknown> {
  @ApiExcludeController()
  @Public()
  @SkipAudit()
  @LibraryController(path)
  class PageAssetsController {
    constructor(
      @Inject(PAGE_ASSETS) private readonly assets: PageAssets,
      private readonly adapterHost: HttpAdapterHost,
      private readonly cookie: PageSessionCookie,
    ) {}

    @Get()
    tokens(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    @Get('tokens/new')
    create(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    @Get('tokens/:id')
    detail(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    @Get('admin')
    admin(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    @Get('admin/tokens/:id')
    adminDetail(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    @Get('admin/trust-policies')
    trustPolicies(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    /** A trust policy, or `new`. */
    @Get('admin/trust-policies/:id')
    trustPolicy(@Req() request: HttpRequest, @Res({ passthrough: true }) response: object): StreamableFile {
      return this.page(request, response);
    }

    @Get('assets/:file')
    asset(@Param('file') file: string, @Res({ passthrough: true }) response: object): StreamableFile {
      const found = this.assets.files.get(file);
      if (!found) throw new NotFoundException();
      return this.send(response, found, 'public, max-age=31536000, immutable');
    }

    /** Without a session cookie, the page need not ask the API (and log a 401) to know it must sign in. */
    private page(request: HttpRequest, response: object): StreamableFile {
      const index = this.cookie.secretOf(request) === undefined ? this.assets.index : this.assets.signedInIndex;
      return this.send(response, index, 'no-store');
    }

    private send(response: object, file: PageFile, cacheControl: string): StreamableFile {
      const adapter = this.adapterHost.httpAdapter;
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(response, name, value);
      adapter.setHeader(response, 'Cache-Control', cacheControl);
      return new StreamableFile(file.body, { type: file.contentType, length: file.body.length });
    }
  }
  return PageAssetsController;
}
