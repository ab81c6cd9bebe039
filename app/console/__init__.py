"""The call-centre console: the phone channel, caller lookup and duplicate warnings."""
