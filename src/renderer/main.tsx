import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createTransport } from './transport.js';

const root = document.getElementById('root');
if (root) createRoot(root).render(<StrictMode><App call={createTransport()} /></StrictMode>);
