import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { completeSilentRenewal, resumeRenewal } from './services/oidc';
import './app/app.css';

const container = document.getElementById('root');
if (window.location.pathname === '/auth/silent') {
  // The hidden frame of a silent renewal: hand the result to the opener, render nothing.
  void completeSilentRenewal();
} else if (container) {
  void resumeRenewal().catch(() => undefined);
  createRoot(container).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
