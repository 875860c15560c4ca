"""Runtime: process model, transports, receive pipeline (lands with the network issue)."""
