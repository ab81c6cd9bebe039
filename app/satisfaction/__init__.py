"""The satisfaction loop: one survey per resolution, the resident's answer, the call-back, the auto-close."""
