// What each role may do, mirroring src/http/admin/permissions.rs and Role::allows in
// src/domain/admin.rs, so the console hides the buttons the server would refuse anyway.

const ROLE_PERMISSIONS = {
  'auth-server-admin': ['ListAuthServers', 'ReadAuthServer', 'WriteAuthServer', 'ReadLoginRequest', 'AnswerLoginRequest', 'ReadRegistration', 'WriteRegistration', 'ReadAudit'],
  'read-only': ['ListAuthServers', 'ReadAuthServer', 'ReadLoginRequest', 'ReadRegistration', 'ReadAudit', 'ReadDirectories'],
  'login-page': ['ReadLoginRequest', 'AnswerLoginRequest'],
  'registration-admin': ['ReadRegistration', 'WriteRegistration'],
  'directory-admin': ['ReadDirectories', 'WriteDirectories', 'LookupPrincipals'],
  gateway: ['LookupPrincipals'],
};

const AS = '/v1/auth-servers/:id';
const DIR = '/v2/directories/:id';
const PRINCIPAL = `${DIR}/principals/:id`;
const READ_WRITE_AS = (path) => [['GET', path, 'ReadAuthServer'], ['*', path, 'WriteAuthServer']];
const READ_WRITE_DIR = (path) => [['GET', path, 'ReadDirectories'], ['*', path, 'WriteDirectories']];

// [method ('*' = any; GET entries come first), path template (':id' = one segment), permission]; first match wins.
const TABLE = [
  ['GET', '/v1/auth-servers', 'ListAuthServers'],
  ['POST', '/v1/auth-servers', 'CreateAuthServer'],
  ['POST', `${AS}/clients/:id/test-claim`, 'ReadAuthServer'],
  ['GET', '/console/api/auth-servers/:id/activity', 'ReadAuthServer'],
  ['GET', `${AS}/login-requests/:id`, 'ReadLoginRequest'],
  ['POST', `${AS}/login-requests/:id/accept`, 'AnswerLoginRequest'],
  ['POST', `${AS}/login-requests/:id/reject`, 'AnswerLoginRequest'],
  ['POST', `${AS}/clients/:id/registration-access-token`, 'WriteAuthServer'],
  ['GET', `${AS}/client-registration`, 'ReadRegistration'],
  ['*', `${AS}/client-registration`, 'WriteRegistration'],
  ['GET', `${AS}/client-registration/initial-access-tokens`, 'ReadRegistration'],
  ['*', `${AS}/client-registration/initial-access-tokens`, 'WriteRegistration'],
  ['GET', `${AS}/client-registration/initial-access-tokens/:id`, 'ReadRegistration'],
  ['*', `${AS}/client-registration/initial-access-tokens/:id`, 'WriteRegistration'],
  ...READ_WRITE_AS(AS),
  ...READ_WRITE_AS(`${AS}/**`),
  ['*', '/v1/admin-credentials/**', 'ManageCredentials'],
  ['*', '/v1/admin-credentials', 'ManageCredentials'],
  ['GET', '/v1/audit-events', 'ReadAudit'],
  ['*', `${DIR}/authenticate`, 'LookupPrincipals'],
  ['POST', `${DIR}/resolve`, 'LookupPrincipals'],
  ...READ_WRITE_DIR('/v2/directories'),
  ...READ_WRITE_DIR(DIR),
  ...READ_WRITE_DIR(`${DIR}/**`),
  ...READ_WRITE_DIR(PRINCIPAL),
];

function matches(template, path) {
  const want = template.split('/');
  const have = path.split('?')[0].split('/');
  for (let i = 0; i < want.length; i += 1) {
    if (want[i] === '**') return have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== ':id' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

// The auth server or directory id a path names, to check a scoped credential reaches it.
function scopedId(path, prefix) {
  const rest = path.split('?')[0].split('/');
  const at = rest.indexOf(prefix);
  return at >= 0 ? rest[at + 1] : undefined;
}

export function can(session, method, path) {
  if (!session) return false;
  const entry = TABLE.find(([m, template]) => (m === method || m === '*') && matches(template, path));
  if (!entry) return session.role === 'admin';
  const permission = entry[2];
  if (session.role !== 'admin' && !(ROLE_PERMISSIONS[session.role] || []).includes(permission)) return false;
  const authServerId = scopedId(path, 'auth-servers');
  if (authServerId && Array.isArray(session.auth_servers) && !session.auth_servers.includes(authServerId)) return false;
  const directoryId = scopedId(path, 'directories');
  if (directoryId && Array.isArray(session.directories) && !session.directories.includes(directoryId)) return false;
  return true;
}
