"""Background jobs: long work (imports, re-evaluation, exports) run by a worker process, with progress.

Other apps call `gaoqi.jobs.services.start_job(...)` with the dotted path of a plain service function;
see docs/jobs.md.
"""
