"""sycam: synthesise CAM methods from SyGuS problem files."""
