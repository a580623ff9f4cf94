import { useEffect, useState } from 'preact/hooks';
import { toasts, type Toast } from '../toasts';

export function Toasts() {
  const [shown, setShown] = useState<readonly Toast[]>([]);
  useEffect(() => toasts.subscribe(setShown), []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {shown.map((toast) => (
        <div key={toast.id} class="toast">
          <div class="toast-title">Server Response Message:</div>
          <div class="toast-message">{toast.message}</div>
          <button class="toast-close" aria-label="Dismiss" onClick={() => toasts.dismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
