"""The web console at ``/console/``: see and fix identity pools, identities, role mappings, tags,
IAM providers, roles and policies, rotate the signing keys (the root account), and see why a login
gets its role.

Server-rendered HTML (Jinja2, autoescaped) and plain forms: no JavaScript at all, so the
Content-Security-Policy forbids every script. The modules:

- :mod:`.app`: the ASGI handler the server's pipeline hands every ``/console`` path to: static
  files, the session, the CSRF check, the route, the security headers, every error as a page;
- :mod:`.http`: the request as the console reads it and the answer it sends;
- :mod:`.sessions`: sign-in sessions as sealed cookies (stateless, so any worker process opens
  them); :mod:`.csrf`: the per-session token every form carries;
- :mod:`.api`: every page calls the API's own operations through this, as the signed-in account,
  with the model's validation and the one authorization point (:mod:`..authorization`);
- :mod:`.forms`: form fields to operation parameters (and back);
- :mod:`.pages`: the pages, one module per area; :mod:`.render`: the templates.

Nothing here is imported when the ``console`` setting is off, except :mod:`.disabled`.
"""
