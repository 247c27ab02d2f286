"""`evalrun serve`: a local web page for the staff who review a year's submissions.

A second face over engine.api (never a second engine): the year's 汇总 with
filters and charts (``yearview``), a project's 自评表 with every score's
trace (``project``), reviewers' decisions kept in the results store
(engine.store.reviews), a returned form's import preview and confirmation
(``importing``), the diff of two rulesets and its impact (``rules``). The
application and its routes are in ``app``, what keeps it safe in
``security``, the templates and the one stylesheet and script in
``templates/`` and ``static/``, the server itself in ``server``.

Starlette and uvicorn are imported only when `evalrun serve` runs.
"""
