export { default } from './aegir.config.js'
