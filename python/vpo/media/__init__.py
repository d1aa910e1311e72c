"""Media adapters: probing (PyAV, ffprobe) and the external tools."""
