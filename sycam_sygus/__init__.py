"""sycam: synthesise CAM methods from SyGuS problem files."""

__all__ = ["explain", "score"]


def __getattr__(name: str):
    # Lazy, so `import sycam_sygus` (the front end) never imports torch.
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'sycam_sygus' has no attribute '{name}'")
