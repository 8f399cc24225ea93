"""The annual cycle: editions, what changed, registers for Excel."""
