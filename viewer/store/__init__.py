"""Where messages are kept: in memory, or in Redis shared by replicas."""
