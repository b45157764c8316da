// Which user names Holdfast accepts. Names appear in DAV URLs (/dav/alice/contacts/), so
// they are kept to characters that need no escaping and cannot be read as a path step.

const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const USER_NAME_RULE =
  'A user name is 1 to 64 characters of lowercase letters, digits, ".", "_" and "-", ' +
  'starting with a letter or digit, because it appears in URLs.';

/** Names that are URL segments of their own: /dav/principals/ holds every principal, so a
 * user called "principals" would have a home the server cannot tell from them. */
const RESERVED = new Set(['principals']);

/** Null if the name is acceptable, otherwise a message saying what a valid name is. */
export function checkUserName(name: string): string | null {
  if (RESERVED.has(name)) return `"${name}" is reserved (it is part of Holdfast's URLs); choose another user name.`;
  if (USER_NAME.test(name)) return null;
  return `"${describe(name)}" is not a valid user name. ${USER_NAME_RULE}`;
}

// Keeps a message readable when someone pastes something long or odd as a name.
function describe(name: string): string {
  const shown = name.length > 70 ? `${name.slice(0, 64)}…` : name;
  return shown.replace(/[\p{Cc}"]/gu, '?');
}
