// Live Markdown preview for the course editor. Without JavaScript the
// editor's "Voorbeeld" button renders the same preview on the server.
