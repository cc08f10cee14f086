"""The on-disk store: versioned builds behind a symlink (:mod:`.build`), read by servers and the CLI
(:mod:`.reader`)."""
