/** The DI key of the built page, loaded once at start-up (`PageAssets`). */
export const PAGE_ASSETS = Symbol('PersonalAccessTokensPageAssets');
