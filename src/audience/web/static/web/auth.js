// Shared by every page: audienceAuth.fetch(path, options) is fetch() relative to the app's root
// (the API Gateway stage, if any), with the Cognito ID token when the deployment has sign-in.
// Sign-in is the Cognito hosted UI (implicit grant: the token comes back in the URL fragment and is
// kept in sessionStorage, so it ends with the tab).
window.audienceAuth = (function () {
  "use strict";
  const base = document.documentElement.dataset.base || "";
  const KEY = "audience.id_token";
  let configPromise = null;

  function config() {
    if (!configPromise) configPromise = fetch(base + "/auth/config.json").then((r) => r.json()).catch(() => ({ enabled: false }));
    return configPromise;
  }

  function takeTokenFromUrl() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const token = params.get("id_token");
    if (token) {
      sessionStorage.setItem(KEY, token);
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }

  function expired(token) {
    try {
      const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return payload.exp * 1000 < Date.now() + 30000;
    } catch (err) {
      return true;
    }
  }

  function signIn(c) {
    const query = new URLSearchParams({
      client_id: c.client_id, response_type: "token", scope: c.scope,
      redirect_uri: window.location.origin + window.location.pathname,
    });
    window.location.assign(c.authorize_url + "?" + query.toString());
    return new Promise(() => {}); // the page is leaving
  }

  async function token() {
    const c = await config();
    if (!c.enabled) return null;
    takeTokenFromUrl();
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
