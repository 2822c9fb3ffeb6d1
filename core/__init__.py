"""Pure domain logic: no I/O and no imports from the rest of shopbot."""
