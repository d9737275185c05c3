"""Lambda entry points: a decorator stack and one call into domain code each."""
