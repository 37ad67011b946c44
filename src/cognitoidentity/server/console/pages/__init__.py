"""The console's pages, one module per area; each page is ``async (Page) -> Response``."""
