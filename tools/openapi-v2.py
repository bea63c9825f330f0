#!/usr/bin/env python3
# Builds openapi-v2.yaml from Kong's v2 description: the operations Tessera implements (IMPLEMENTED),
# Kong's schemas converted to OpenAPI 3.1, and the answers Kong's description leaves out.
#   python3 tools/openapi-v2.py ../shared/reference/kong-identity-principals-v2.openapi.yaml openapi-v2.yaml
import yaml, copy, sys
src = yaml.safe_load(open(sys.argv[1]))
IMPLEMENTED = {
    '/directories',
    '/directories/{directoryId}',
    '/directories/{directoryId}/realm-config',
    '/directories/{directoryId}/principals',
    '/directories/{directoryId}/principals/{principalId}',
    '/directories/{directoryId}/principals/{principalId}/api-keys',
    '/directories/{directoryId}/principals/{principalId}/api-keys/{apiKeyId}',
    '/directories/{directoryId}/principals/{principalId}/identities',
    '/directories/{directoryId}/principals/{principalId}/identities/{identityId}',
    '/directories/{directoryId}/principals/{principalId}/basic-auths',
    '/directories/{directoryId}/principals/{principalId}/basic-auths/{basicAuthId}',
    '/directories/{directoryId}/principals/{principalId}/basic-auths/{basicAuthId}/passwords',
    '/directories/{directoryId}/principals/{principalId}/basic-auths/{basicAuthId}/passwords/{passwordId}',
}

def convert(node):
    """OpenAPI 3.0 `nullable: true` -> JSON Schema type arrays (OpenAPI 3.1)."""
    if isinstance(node, dict):
        node = {k: convert(v) for k, v in node.items()}
        if node.pop('nullable', None) is True:
            t = node.get('type')
            if isinstance(t, str):
                node['type'] = [t, 'null']
            elif 'oneOf' in node or 'allOf' in node or '$ref' in node:
                node = {'anyOf': [node, {'type': 'null'}]}
        node.pop('x-examples', None)
        if node.get('format') in ('path', 'set'):
            node.pop('format')
        return node
    if isinstance(node, list):
        return [convert(v) for v in node]
    return node

doc = convert(src)
doc['openapi'] = '3.1.0'
doc['info'] = {
    'title': 'Tessera: Kong Identity v2 (directories and principals)',
    'version': '0.0.5',
    'summary': "Kong Identity's v2 management API as Tessera serves it.",
    'description': (
        "Kong's published description of Kong Identity's v2 API (v0.0.5), served by Tessera below `/v2` "
        "with the operations Tessera implements so far. The schemas are Kong's, converted to OpenAPI 3.1 "
        "(`nullable` as type unions). Where Kong's description omits an answer Tessera gives (404 on a "
        "PATCH or PUT of an unknown directory, 415, 429, 500, 503), it is added here. Authentication is "
        "Tessera's admin credentials (see `/openapi.yaml`, security scheme `adminToken`): the `admin` "
        "role writes, `admin` and `read-only` read; other roles are refused with 403."
    ),
}
doc['servers'] = [{'url': 'http://127.0.0.1:8080', 'description': 'The default listen address (`TESSERA_LISTEN`).'}]
doc['security'] = [{'adminToken': []}]
doc['components']['securitySchemes'] = {'adminToken': {'type': 'http', 'scheme': 'bearer', 'description': 'A Tessera admin credential token (`tsa_…`) or `TESSERA_ADMIN_TOKEN`.'}}
paths = {}
for path, item in src['paths'].items():
    if path not in IMPLEMENTED:
        continue
    item = copy.deepcopy(doc['paths'][path])
    for method, op in item.items():
        if method == 'parameters':
            continue
        r = op.setdefault('responses', {})
        r.setdefault('400', {'$ref': '#/components/responses/BadRequest'})
        r.setdefault('401', {'$ref': '#/components/responses/Unauthorized'})
        r.setdefault('403', {'$ref': '#/components/responses/Forbidden'})
        if '{directoryId}' in path:
            r.setdefault('404', {'$ref': '#/components/responses/NotFound'})
        if method == 'delete' and path == '/directories/{directoryId}':
            r.setdefault('409', {'$ref': '#/components/responses/Conflict'})
        # A username taken in the directory, on rename.
        if method in ('patch', 'put') and path.endswith('/basic-auths/{basicAuthId}'):
            r.setdefault('409', {'$ref': '#/components/responses/Conflict'})
        if method in ('post', 'put', 'patch'):
            r.setdefault('413', {'$ref': '#/components/responses/Problem'})
            r.setdefault('415', {'$ref': '#/components/responses/Problem'})
        r.setdefault('429', {'$ref': '#/components/responses/Problem'})
        r.setdefault('500', {'$ref': '#/components/responses/Problem'})
        r.setdefault('503', {'$ref': '#/components/responses/Problem'})
    paths['/v2' + path] = item
doc['paths'] = paths
# Tessera's own /v2 operations (the lookup API), beside Kong's.
import os
extensions = yaml.safe_load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'openapi-v2-tessera.yaml')))
for path, item in extensions['paths'].items():
    for method, op in item.items():
        if method == 'parameters':
            continue
        r = op.setdefault('responses', {})
        for code, name in [('400', 'BadRequest'), ('401', 'Unauthorized'), ('403', 'Forbidden'), ('404', 'NotFound'),
                           ('413', 'Problem'), ('415', 'Problem'), ('429', 'Problem'), ('500', 'Problem'), ('503', 'Problem')]:
            r.setdefault(code, {'$ref': '#/components/responses/' + name})
    doc['paths'][path] = item
for kind, entries in extensions['components'].items():
    doc['components'].setdefault(kind, {}).update(entries)
doc['components']['responses']['Problem'] = {
    'description': 'A problem: payload too large (413), unsupported media type (415), too many requests (429, with `Retry-After`), an internal error (500) or the database unavailable (503, with `Retry-After`).',
    'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}},
}
doc['components']['schemas']['Problem'] = {'$ref': '#/components/schemas/BaseError'}
# 204 without content: Kong's spec says `description: Success`; fine.
doc['tags'] = [t for t in doc['tags'] if t['name'] in ('Kong Identity Directories', 'KongPrincipal', 'KongPrincipalCredential', 'KongPrincipalIdentity')] + [{'name': 'Tessera Lookup API', 'description': 'What a gateway calls to authenticate a credential or resolve an identity to a principal (a Tessera extension).'}]
out = "# Kong Identity's v2 description (v0.0.5) as Tessera serves it at /openapi-v2.yaml; see info.description.\n"
out += yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
open(sys.argv[2], 'w').write(out)
print(len(paths), sum(1 for p in paths.values() for m in p if m != 'parameters'))
