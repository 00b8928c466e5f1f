// Placeholder until sources land; delete when adding files.
