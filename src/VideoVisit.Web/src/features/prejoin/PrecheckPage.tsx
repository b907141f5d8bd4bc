import { useEffect } from 'react';
import { useI18n } from '../../i18n';
import { releaseMedia } from '../../services/media';
import { link } from '../../app/App';
import { Precheck } from './Precheck';

/** "Test your devices" without an appointment (also the page QA scenarios drive). */
export function PrecheckPage() {
  const { t } = useI18n();
  useEffect(() => () => releaseMedia(), []);
  return (
    <section className="page" aria-labelledby="precheck-page-title" data-testid="precheck-page">
      <h1 id="precheck-page-title">{t('precheck.title')}</h1>
      <Precheck />
      <p>
        <a href="/upcoming" onClick={link('/upcoming')}>
          {t('visit.toUpcoming')}
        </a>
      </p>
    </section>
  );
}
