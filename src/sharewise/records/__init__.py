"""Decision records: building one from a walk, sealing and chaining, the store, signing, verifying and viewing."""
