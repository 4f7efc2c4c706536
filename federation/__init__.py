"""Federation over NATS JetStream: the connection, and (as they land) subjects, envelopes, the
outbox relay, inbox consumers and the cross-level protocols."""
