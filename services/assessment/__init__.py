"""Assessment: Prevent police officers work their gateway assessment tasks here."""
