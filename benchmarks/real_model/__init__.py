"""The real-model harness: Dramaturg against a small local model served by llama.cpp (opt-in)."""
