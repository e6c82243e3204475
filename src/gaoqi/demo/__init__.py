"""Synthetic Jiangsu demo data (labelled synthetic everywhere) and the local demo.

- `generator.generate(n, seed, as_of)`: one vectorised (numpy) generator, the single source of truth;
  calibration and its documented choices in `calibration.py` (HTE share ~30%, tech-SME ~35% of a
  candidate pool; Suzhou ~30%, Nanjing ~20%, south > central > north).
- `template.write(ds, path)`: the evaluation-template file (INPUT-TEMPLATE.md headers), no database.
- `loader.load(ds, replace=...)`: fast bulk load, two synthetic sources (税务, 科技), certificates, IP items,
  one "import" audit event per source. A database holding enterprises is refused unless `replace`,
  which deletes previously generated synthetic data only (firms in the id ranges recorded by synthetic
  sources, their facts, the synthetic sources, and demo accounts bound to those firms).
- `accounts.ensure_demo_accounts()`: one account per role, fixed documented passwords (local demo).
- Commands: `gaoqi demo-data`, `gaoqi demo`.
"""
