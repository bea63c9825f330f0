// Every page module of the console; app.js gathers their routes.
import * as authServers from './auth-servers.js';
import * as scopes from './scopes.js';
import * as claims from './claims.js';
import * as clients from './clients.js';
import * as clientSecrets from './client-secrets.js';
import * as clientTokens from './client-tokens.js';
import * as keys from './keys.js';
import * as registration from './registration.js';
import * as loginRequests from './login-requests.js';
import * as trustedIssuers from './trusted-issuers.js';
import * as adminCredentials from './admin-credentials.js';
import * as audit from './audit.js';
import * as directories from './directories.js';

export default [authServers, scopes, claims, clients, clientSecrets, clientTokens, keys, registration, loginRequests, trustedIssuers, adminCredentials, audit, directories];
