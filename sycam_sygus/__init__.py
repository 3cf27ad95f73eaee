"""sycam: synthesise CAM methods from SyGuS problem files."""

__all__ = ["explain", "score", "ExpressionCAM", "show_cam_on_image", "builtin_model", "builtin_images"]
_HOMES = {"explain": "api", "score": "api", "ExpressionCAM": "cam_method", "show_cam_on_image": "overlay",
          "builtin_model": "builtins", "builtin_images": "builtins"}


def __getattr__(name: str):
    # Lazy, so `import sycam_sygus` (the front end) never imports torch.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'sycam_sygus' has no attribute '{name}'")
