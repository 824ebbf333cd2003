"""Write-side operations, plain verb functions grouped by noun. They flush; the request commits."""
