"""The bundled demo: realistic Vietnamese snapshots of the real sources, served from 127.0.0.1."""
