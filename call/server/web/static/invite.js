// Invitations: the link a guest is sent (the page's address with
// #invite=ACCOUNT:TOKEN, see docs/web.md) and the text the desktop app's
// "Invite someone" copies (lines "Account: …" and "Token: …").

// fromHash reads #invite=ACCOUNT:TOKEN (either part percent-encoded);
// null when the fragment holds no invitation. Account names cannot hold
// ':', so the first one splits.
export function fromHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const v = params.get('invite');
  if (!v) return null;
  const i = v.indexOf(':');
  const account = (i < 0 ? v : v.slice(0, i)).trim();
  const token = i < 0 ? '' : v.slice(i + 1).trim();
  return account ? { account, token } : null;
}

// fromText reads an invitation pasted as text: a link, or the desktop
// app's lines. null when the text is neither.
export function fromText(text) {
  const hash = text.indexOf('#invite=');
  if (hash >= 0) return fromHash(text.slice(hash).split(/\s/)[0]);
  const account = /^\s*Account:\s*(\S+)\s*$/m.exec(text);
  const token = /^\s*Token:\s*(\S+)\s*$/m.exec(text);
  if (!account) return null;
  return { account: account[1], token: token ? token[1] : '' };
}
