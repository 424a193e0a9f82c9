// The hosted pages' one script: the WebAuthn calls a passkey needs, which HTML cannot make.
// Every form it drives is a plain form of ours: the script asks the server for a ceremony's
// options, lets the browser and the authenticator answer, and posts the answer with the form.
// Without it (or without WebAuthn) the pages work as before, minus passkeys.
"use strict";

(() => {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  const decode = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  };
  const encode = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: decode(c.id) }));

  const creationOptions = (o) => ({
    ...o,
    challenge: decode(o.challenge),
    user: { ...o.user, id: decode(o.user.id) },
    excludeCredentials: withIds(o.excludeCredentials),
  });
  const requestOptions = (o) => ({
    ...o,
    challenge: decode(o.challenge),
    allowCredentials: withIds(o.allowCredentials),
  });

  // The credential as WebAuthn Level 3's toJSON() writes it, which the server reads.
  const asJson = (credential) => {
    const r = credential.response;
    const response = { clientDataJSON: encode(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = encode(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = encode(r.authenticatorData);
      response.signature = encode(r.signature);
      if (r.userHandle) response.userHandle = encode(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      response,
      extensions: {},
    });
  };

  // A ceremony's options from `url`, posting the form's fields (its CSRF token among them).
  const optionsFor = async (form, url) => {
    const reply = await fetch(url, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    const body = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(body.error || "The passkey could not be used here.");
    return body;
  };

  const say = (form, text) => {
    const status = form.querySelector("[data-passkey-status]");
    if (status) status.textContent = text;
  };

  const post = (form, options, credential) => {
    form.elements.challenge_id.value = options.challenge_id;
    form.elements.credential.value = asJson(credential);
    form.submit();
  };

  // Sign in (login page) or answer a second step (second-factor page): `navigator.credentials.get()`.
  const signIn = (form) => {
    const url = form.dataset.passkeyOptions;
    let pending = null;
    const ask = async (mediation) => {
      if (pending) pending.abort();
      pending = new AbortController();
      const options = await optionsFor(form, url);
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(options.publicKey),
        mediation,
        signal: pending.signal,
      });
      if (credential) post(form, options, credential);
    };
    const button = form.querySelector("[data-passkey-button]");
    button.hidden = false;
    button.addEventListener("click", () => {
      say(form, "");
      ask("optional").catch((error) => {
        if (error.name !== "AbortError") say(form, "The passkey was not used. Try again or sign in otherwise.");
      });
    });
    // The browser offers the passkeys it holds in the username field's autofill.
    if (form.dataset.passkeyConditional !== undefined && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (available) ask("conditional").catch(() => {});
      });
    }
  };

  // Add a passkey (account page): `navigator.credentials.create()`.
  const register = (form) => {
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      if (form.elements.credential.value) return;
      event.preventDefault();
      say(form, "");
      optionsFor(form, form.dataset.passkeyOptions)
        .then(async (options) => {
          const credential = await navigator.credentials.create({
            publicKey: creationOptions(options.publicKey),
          });
          post(form, options, credential);
        })
        .catch((error) => say(form, error.message && error.name === "Error" ? error.message : "No passkey was added."));
    });
  };

  const start = () => {
    document.querySelectorAll("form[data-passkey='sign-in']").forEach(signIn);
    document.querySelectorAll("form[data-passkey='register']").forEach(register);
    document.querySelectorAll("[data-passkey-hidden-without]").forEach((e) => (e.hidden = true));
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
