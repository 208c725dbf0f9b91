import { useCallback, useEffect, useRef, useState } from 'react';
import { api, onSessionEnded, setCsrfToken, type Session } from './api';
import { Admin } from './Admin';
import { AdminTokenDetail } from './AdminTokenDetail';
import { BusiestTokens } from './BusiestTokens';
import { CreateToken, GENERATE } from './CreateToken';
import { explain } from './errors';
import { follow, href, navigate, useLocation } from './router';
import { fetchSignInMethods, SignIn } from './SignIn';
import { TokenDetail } from './TokenDetail';
import { TokensTable } from './TokensTable';
import { managesTrustPolicies, TrustPolicies } from './TrustPolicies';
import { TRUST_POLICIES_PATH } from './trust-policies';
import { Alert } from './ui';

const SESSION = `${document.querySelector<HTMLMetaElement>('meta[name="pat-page-base"]')?.content ?? ''}/api/session`;
const MANAGE_ALL = 'MANAGE_ALL_ACCESS_TOKENS';
/** The server says whether this page load came with a session cookie: without one, there is no one to ask about. */
const HAD_COOKIE = document.querySelector<HTMLMetaElement>('meta[name="pat-page-session"]')?.content !== 'none';
const TOKEN_ID = '([0-9a-f-]{36})';

/** A secret just handed out: in this component's memory only, for the one token it belongs to. */
export interface Revealed {
  tokenId: string;
  secret: string;
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState('');
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const location = useLocation();
  const heading = useRef<HTMLDivElement>(null);
  // Only a session that was there can end: the first visit's 401 just means "sign in".
  const signedIn = useRef(false);

  const load = useCallback(async (ask = true) => {
    if (!ask) {
      setSession(null);
      return;
    }
    try {
      const current = await api<Session>('GET', SESSION);
      setCsrfToken(current.csrfToken);
      signedIn.current = true;
      setSession(current);
    } catch {
      setSession(null);
    }
  }, []);

  useEffect(() => {
    onSessionEnded(() => {
      setRevealed(null);
      setSession(null);
      if (signedIn.current) setNotice('Your session has ended. Sign in again.');
      signedIn.current = false;
    });
    void load(HAD_COOKIE);
  }, [load]);

  // A secret is shown on its token's page once: leaving that page forgets it.
  const revealedPath = revealed && `/tokens/${revealed.tokenId}`;
  useEffect(() => {
    if (revealedPath && location.path !== revealedPath) setRevealed(null);
  }, [location.path, revealedPath]);

  // A new view: move focus to it, so a screen reader announces where the person is.
  useEffect(() => {
    heading.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [location.path]);

  const signOut = async () => {
    try {
      await api('DELETE', SESSION);
      setNotice('You are signed out.');
      // Signed in through the identity provider: end that session too (RP-initiated logout).
      const signOutUrl = (await fetchSignInMethods()).providers.find((provider) => provider.signOutUrl)?.signOutUrl;
      if (signOutUrl) window.location.assign(signOutUrl);
    } catch (error) {
      setNotice(explain(error).message);
    }
    signedIn.current = false;
    setRevealed(null);
    setCsrfToken('');
    setSession(null);
  };

  if (session === undefined) {
    return (
      <main className="container" id="main">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={async () => {
          setNotice('');
          await load();
        }}
      />
    );
  }

  const isAdmin = session.user.privileges.includes(MANAGE_ALL);
  const canCreate = session.user.privileges.includes(GENERATE);
  const path = location.path;
  const detail = new RegExp(`^/tokens/${TOKEN_ID}$`).exec(path);
  const adminDetail = new RegExp(`^/admin/tokens/${TOKEN_ID}$`).exec(path);
  let view;
  if (path === '/tokens/new') {
    view = (
      <CreateToken
        session={session}
        onCreated={(token) => {
          setRevealed({ tokenId: token.id, secret: token.token });
          navigate(`/tokens/${token.id}`);
        }}
      />
    );
  } else if (detail) {
    view = (
      <TokenDetail
        key={detail[1]}
        id={detail[1]}
        session={session}
        revealed={revealed?.tokenId === detail[1] ? revealed.secret : null}
        onSecret={(secret) => setRevealed(secret ? { tokenId: detail[1], secret } : null)}
      />
    );
  } else if (path === TRUST_POLICIES_PATH || path.startsWith(`${TRUST_POLICIES_PATH}/`)) {
    view = <TrustPolicies session={session} path={path} />;
  } else if ((path === '/admin' || path === '/admin/busiest' || adminDetail) && !isAdmin) {
    view = (
      <>
        <h1 tabIndex={-1}>For administrators only</h1>
        <p>
          Everyone&apos;s tokens are shown to administrators only. Your role ({session.user.role}) does not have the privilege to manage all
          access tokens; ask an administrator if you need it.
        </p>
        <p>
          <a href={href('/')} onClick={follow('/')}>
            Go to your tokens
          </a>
        </p>
      </>
    );
  } else if (path === '/admin') {
    view = <Admin session={session} />;
  } else if (path === '/admin/busiest') {
    view = <BusiestTokens session={session} />;
  } else if (adminDetail) {
    view = <AdminTokenDetail key={adminDetail[1]} id={adminDetail[1]} session={session} />;
  } else if (path === '/' || path === '') {
    view = <TokensTable session={session} />;
  } else {
    view = (
      <>
        <h1 tabIndex={-1}>Page not found</h1>
        <p>
          <a href={href('/')} onClick={follow('/')}>
            Go to your tokens
          </a>
        </p>
      </>
    );
  }
  const current = (target: string) => (path === target ? 'page' : undefined);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="container topbar-inner">
          <a className="brand" href={href('/')} onClick={follow('/')}>
            Access tokens
          </a>
          <nav aria-label="Main">
            <ul>
              <li>
                <a href={href('/')} onClick={follow('/')} aria-current={current('/')}>
                  Your tokens
                </a>
              </li>
              {canCreate && (
                <li>
                  <a href={href('/tokens/new')} onClick={follow('/tokens/new')} aria-current={current('/tokens/new')}>
                    Create token
                  </a>
                </li>
              )}
              {isAdmin && (
                <li>
                  <a
                    href={href('/admin')}
                    onClick={follow('/admin')}
                    aria-current={path.startsWith('/admin') && !path.startsWith(TRUST_POLICIES_PATH) ? 'page' : undefined}
                  >
                    All tokens (admin)
                  </a>
                </li>
              )}
              {managesTrustPolicies(session) && (
                <li>
                  <a
                    href={href(TRUST_POLICIES_PATH)}
                    onClick={follow(TRUST_POLICIES_PATH)}
                    aria-current={path.startsWith(TRUST_POLICIES_PATH) ? 'page' : undefined}
                  >
                    Trust policies
                  </a>
                </li>
              )}
            </ul>
          </nav>
          <div className="who">
            <span className="muted">
              {session.user.email} · {session.user.role}
            </span>
            <button type="button" className="button small" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="container" id="main" ref={heading}>
        <Alert kind="info">{notice}</Alert>
        {view}
      </main>
    </>
  );
}
