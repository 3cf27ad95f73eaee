"""Evaluation backends behind the engine's port (`sycam_sygus.engine.port`), installed as
`sycam_sygus.backends`: `torch_cam` (the CAM backend: models, data, terminals, CAM template, metrics)."""
