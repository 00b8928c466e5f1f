// Placeholder so the library has a source until real ones land; delete when adding files.
