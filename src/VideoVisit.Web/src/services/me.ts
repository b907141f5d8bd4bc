// The signed-in person (`GET /api/me`), loaded once per sign-in and shared by every screen.
import { useEffect, useState } from 'react';
import { api, type Me } from './api';
import { useSession } from './auth';

let cache: { token: string; me: Promise<Me> } | null = null;

export function loadMe(token: string): Promise<Me> {
  if (!cache || cache.token !== token) cache = { token, me: api.me() };
  const mine = cache;
  mine.me.catch(() => {
    if (cache === mine) cache = null;
  });
  return mine.me;
}

export function isProfessional(me: Me | null | undefined) {
  return !!me && me.roles.some((r) => r === 'professional' || r === 'nurse' || r === 'doctor');
}

export function useMe(): { me: Me | null; error: string | null } {
  const session = useSession();
  const [state, setState] = useState<{ me: Me | null; error: string | null }>({ me: null, error: null });
  useEffect(() => {
    // A guest by invitation is nobody in the catalog: the people API refuses their token.
    if (!session || session.issuer === 'guest') return;
    let live = true;
    loadMe(session.accessToken).then(
      (me) => live && setState({ me, error: null }),
      (e: Error) => live && setState({ me: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [session]);
  return session ? state : { me: null, error: null };
}
