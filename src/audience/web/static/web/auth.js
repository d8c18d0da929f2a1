// Shared by every page: audienceAuth.fetch(path, options) is fetch() relative to the app's root
// (the API Gateway stage, if any), with the Cognito ID token when the deployment has sign-in.
// Sign-in is the Cognito hosted UI with the authorization code flow and PKCE (RFC 7636; OAuth 2.1
// drops the implicit grant): a random code_verifier stays in this tab's sessionStorage, its SHA-256
// (code_challenge, S256) goes to /oauth2/authorize with a random state, and the code that comes
// back in the query is exchanged at /oauth2/token together with the verifier. Tokens never travel
// in a URL; the ID token is kept in sessionStorage, so it ends with the tab.
window.audienceAuth = (function () {
  "use strict";
  const base = document.documentElement.dataset.base || "";
  const KEY = "audience.id_token";
  const PENDING = "audience.pkce"; // {verifier, state, redirect_uri} of the sign-in under way
  let configPromise = null;
  let exchange = null;

  function config() {
    if (!configPromise) configPromise = fetch(base + "/auth/config.json").then((r) => r.json()).catch(() => ({ enabled: false }));
    return configPromise;
  }

  function base64url(bytes) {
    let text = "";
    bytes.forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(bytes) {
    return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
  }

  async function challengeOf(verifier) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }

  // Back from the hosted UI with ?code=...&state=...: the state must be the one saved before
  // leaving (else the code is not ours and is dropped); the code is then traded for tokens.
  async function takeCodeFromUrl(c) {
    const params = new URLSearchParams(window.location.search);
    const code = params.get("code");
    const state = params.get("state");
    if (!code) return;
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    sessionStorage.removeItem(PENDING);
    params.delete("code");
    params.delete("state");
    const rest = params.toString();
    history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    if (!pending || pending.state !== state) return;
    const response = await fetch(c.token_url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", client_id: c.client_id, code: code,
        redirect_uri: pending.redirect_uri, code_verifier: pending.verifier,
      }).toString(),
    });
    if (!response.ok) return;
    const tokens = await response.json();
    if (tokens.id_token) sessionStorage.setItem(KEY, tokens.id_token);
  }

  function expired(token) {
    try {
      const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return payload.exp * 1000 < Date.now() + 30000;
    } catch (err) {
      return true;
    }
  }

  async function signIn(c) {
    const verifier = randomString(48); // 64 characters, within RFC 7636's 43..128
    const state = randomString(24);
    const redirect = window.location.origin + window.location.pathname;
    sessionStorage.setItem(PENDING, JSON.stringify({ verifier: verifier, state: state, redirect_uri: redirect }));
    const query = new URLSearchParams({
      client_id: c.client_id, response_type: "code", scope: c.scope, redirect_uri: redirect,
      state: state, code_challenge: await challengeOf(verifier), code_challenge_method: "S256",
    });
    window.location.assign(c.authorize_url + "?" + query.toString());
    return new Promise(() => {}); // the page is leaving
  }

  async function token() {
    const c = await config();
    if (!c.enabled) return null;
    if (!exchange) exchange = takeCodeFromUrl(c);
    await exchange;
    const t = sessionStorage.getItem(KEY);
    return t && !expired(t) ? t : signIn(c);
  }

  async function authFetch(path, options) {
    const t = await token();
    const opts = Object.assign({}, options || {});
    opts.headers = Object.assign({}, opts.headers || {});
    if (t) opts.headers.Authorization = t;
    const response = await fetch(base + path, opts);
    if (response.status === 401 && t) {
      sessionStorage.removeItem(KEY);
      return signIn(await config());
    }
    return response;
  }

  return { fetch: authFetch, base: base };
})();
