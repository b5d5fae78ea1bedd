//! Generated Windows PowerShell 5.1: parallel downloads, sequential installs, parallel blocks.
