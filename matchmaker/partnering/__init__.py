"""From suggestion to conversation: partner requests, contact requests and notifications."""
