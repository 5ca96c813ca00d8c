"""Signed job events for clients (Standard Webhooks): the outbox, its dispatcher, and the check of targets."""
